"""The ceiling bench/load.py measures the site against: Flask answering one short text, nothing else."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def bare() -> str:
    return "ok"
