from vendors import create_app

app = create_app()
