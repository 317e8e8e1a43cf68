"""The base of every form: WTForms' and Flask-WTF's built-in messages in the reader's language.

WTForms ships no Vietnamese catalog, so its defaults ("This field is required.", "Field cannot be longer
than 200 characters.") would show in English in the Vietnamese UI. Each default is mapped here to a
Vietnamese msgid of our own catalog, translated at validation time like every other message.
"""
from flask_babel import gettext
from flask_wtf import FlaskForm

from tracker.messages import N_

#: WTForms' English default (the singular one for plural messages) → our Vietnamese msgid, same placeholders
BUILT_IN_MESSAGES: dict[str, str] = {
    "Field must be equal to %(other_name)s.": N_("Giá trị phải trùng với %(other_name)s."),
    "Field must be at least %(min)d character long.": N_("Cần ít nhất %(min)d ký tự."),
    "Field cannot be longer than %(max)d character.": N_("Không được dài quá %(max)d ký tự."),
    "Field must be exactly %(max)d character long.": N_("Cần đúng %(max)d ký tự."),
    "Field must be between %(min)d and %(max)d characters long.": N_("Cần từ %(min)d đến %(max)d ký tự."),
    "Number must be at least %(min)s.": N_("Số phải từ %(min)s trở lên."),
    "Number must be at most %(max)s.": N_("Số không được lớn hơn %(max)s."),
    "Number must be between %(min)s and %(max)s.": N_("Số phải từ %(min)s đến %(max)s."),
    "Date must be at least %(min)s.": N_("Ngày phải từ %(min)s trở đi."),
    "Date must be at most %(max)s.": N_("Ngày không được sau %(max)s."),
    "Date must be between %(min)s and %(max)s.": N_("Ngày phải từ %(min)s đến %(max)s."),
    "This field is required.": N_("Trường này không được để trống."),
    "Invalid input.": N_("Giá trị không hợp lệ."),
    "Invalid email address.": N_("Địa chỉ thư điện tử không hợp lệ."),
    "Invalid IP address.": N_("Địa chỉ IP không hợp lệ."),
    "Invalid Mac address.": N_("Địa chỉ MAC không hợp lệ."),
    "Invalid URL.": N_("Địa chỉ URL không hợp lệ."),
    "Invalid UUID.": N_("Mã UUID không hợp lệ."),
    "Invalid value, must be one of: %(values)s.": N_("Giá trị không hợp lệ; phải là một trong: %(values)s."),
    "Invalid value, can't be any of: %(values)s.": N_("Giá trị không hợp lệ; không được là: %(values)s."),
    "This field cannot be edited.": N_("Trường này không sửa được."),
    "This field is disabled and cannot have a value.": N_("Trường này bị khóa, không nhận giá trị."),
    "Invalid CSRF Token.": N_("Phiên làm việc đã hết hạn; hãy tải lại trang rồi gửi lại."),
    "CSRF token missing.": N_("Phiên làm việc đã hết hạn; hãy tải lại trang rồi gửi lại."),
    "CSRF failed.": N_("Phiên làm việc đã hết hạn; hãy tải lại trang rồi gửi lại."),
    "CSRF token expired.": N_("Phiên làm việc đã hết hạn; hãy tải lại trang rồi gửi lại."),
    "Invalid Choice: could not coerce.": N_("Lựa chọn không hợp lệ."),
    "Choices cannot be None.": N_("Chưa có lựa chọn nào."),
    "Not a valid choice.": N_("Lựa chọn không hợp lệ."),
    "Invalid choice(s): one or more data inputs could not be coerced.": N_("Có lựa chọn không hợp lệ."),
    "'%(value)s' is not a valid choice for this field.": N_("«%(value)s» không phải là lựa chọn hợp lệ."),
    "Not a valid datetime value.": N_("Ngày giờ không hợp lệ."),
    "Not a valid date value.": N_("Ngày không hợp lệ; hãy ghi theo dạng dd/mm/yyyy."),
    "Not a valid time value.": N_("Giờ không hợp lệ."),
    "Not a valid week value.": N_("Tuần không hợp lệ."),
    "Not a valid integer value.": N_("Phải là số nguyên."),
    "Not a valid decimal value.": N_("Phải là một số."),
    "Not a valid float value.": N_("Phải là một số."),
    "File does not have an approved extension: {extensions}": N_("Tệp không đúng loại; chỉ nhận: {extensions}"),
    "File does not have an approved extension.": N_("Tệp không đúng loại."),
}


class BuiltInMessages:
    """The translations object WTForms asks for its default messages."""

    def gettext(self, string: str) -> str:
        """The reader's language for a WTForms default; any other text as it is."""
        msgid = BUILT_IN_MESSAGES.get(string)
        return gettext(msgid) if msgid else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Vietnamese has one form; the English catalog words it for any count."""
        msgid = BUILT_IN_MESSAGES.get(singular)
        return gettext(msgid) if msgid else (singular if n == 1 else plural)


BUILT_IN = BuiltInMessages()


class Form(FlaskForm):
    """Every form of the app derives from this one."""

    class Meta:
        def get_translations(self, form):
            """Our catalog for WTForms' own messages."""
            return BUILT_IN
