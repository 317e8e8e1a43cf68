"""Flask extensions, created unbound and initialised in create_app."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from models import db

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()

__all__ = ["babel", "csrf", "db", "login_manager", "migrate"]
