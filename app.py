"""CDK entry point (`cdk synth -c env=prod`, or `python app.py` for cdk.json's environment)."""

import sys

from infra.app import main

if __name__ == "__main__":
    sys.exit(main())
