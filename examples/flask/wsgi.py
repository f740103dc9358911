"""The sample app the README's first command builds: a Flask app found through wsgi.py."""

import platform

from flask import Flask

application = Flask(__name__)


@application.route("/")
def index():
    return f"Hello from a Python {platform.python_version()} app built by the Python buildpack!\n"
