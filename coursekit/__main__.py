from coursekit.cli import run

run()
