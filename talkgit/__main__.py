from talkgit.entry import main

raise SystemExit(main())
