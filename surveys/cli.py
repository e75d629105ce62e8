from flask.cli import AppGroup

surveys_cli = AppGroup("surveys", help="Surveys and reply analysis.")
