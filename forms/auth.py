"""Login form."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from forms.base import Form


class LoginForm(Form):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(_l("Hãy nhập tên đăng nhập")),
                                                            Length(max=80)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Hãy nhập mật khẩu"))])
    remember = BooleanField(_l("Ghi nhớ đăng nhập"))
