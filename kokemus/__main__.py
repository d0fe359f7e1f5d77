from kokemus.main import app

app()
