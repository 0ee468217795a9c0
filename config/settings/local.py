"""Settings for `make dev` on a developer's machine."""
from config.settings.base import *  # noqa: F401,F403
from config.env import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
