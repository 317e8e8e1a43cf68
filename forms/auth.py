"""Login form."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(_l("Hãy nhập tên đăng nhập")),
                                                            Length(max=80)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Hãy nhập mật khẩu"))])
    remember = BooleanField(_l("Ghi nhớ đăng nhập"))
