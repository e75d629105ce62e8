from flask.cli import AppGroup

contractors_cli = AppGroup("contractors", help="The contractor roster.")
