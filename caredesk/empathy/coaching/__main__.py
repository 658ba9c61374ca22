"""``python -m caredesk.empathy.coaching "draft"`` runs the coach command without the desk CLI."""

import sys

from caredesk.empathy.coaching.cli import main

sys.exit(main())
