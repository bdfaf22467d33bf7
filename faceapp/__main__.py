from faceapp.cli.main import main

raise SystemExit(main())
