"""Start a throwaway PostgreSQL 16 + pgvector in a folder (the pgserver wheel, a dev dependency) and
print its URL; it keeps running after this exits. For benchmarks and trials on one machine:

    URL=$(.venv/bin/python packaging/server/local_pgserver.py /tmp/faceapp-pg)
    .venv/bin/faceapp bench --gallery 100000 --database "$URL"
    .venv/bin/python packaging/server/local_pgserver.py /tmp/faceapp-pg --stop

A real installation runs the server of docker-compose.yml instead.
"""

import argparse

import pgserver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="the server's data folder (created if new)")
    parser.add_argument("--stop", action="store_true", help="stop the server of this folder")
    args = parser.parse_args()
    server = pgserver.get_server(args.folder, cleanup_mode="stop" if args.stop else None)
    if args.stop:
        server.cleanup()
    else:
        print(server.get_uri())


if __name__ == "__main__":
    main()
