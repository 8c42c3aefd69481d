"""The GitHub Actions workflow ``skillsync init --ci github`` writes (docs/ci.md).

Plain text with comments, not a YAML dump: the file is meant to be read and edited. A test parses
it and runs every ``skillsync`` step against the embedded registry, so it cannot drift from the CLI.
"""

from __future__ import annotations

import json
import re

from skillsync import __version__

WORKFLOW_FILE = ".github/workflows/skillsync.yml"

# The steps every job starts with (checkout, Python, skillsync).
_SETUP = """\
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ env.PYTHON_VERSION }}
      - name: Install skillsync
        run: python -m pip install "$SKILLSYNC_PIP"
"""

_TEMPLATE = """\
# skillsync: validate skills on pull requests, check them against Seren, publish from the
# default branch. Written by `skillsync init --ci github`; see docs/ci.md. Edit freely.
#
# Needs the repository secret SEREN_API_KEY (Settings > Secrets and variables > Actions) for the
# drift check and for publishing; validation needs no secret.
name: skillsync

on:
  pull_request:
  push:
  workflow_dispatch:

permissions:
  contents: read

env:
  # Where skillsync is installed from: a version on your package index, a wheel or a git URL.
  SKILLSYNC_PIP: "skillsync=={version}"
  PYTHON_VERSION: "3.12"

defaults:
  run:
    shell: bash
    working-directory: {workdir}  # the workspace (skillsync.toml), from the repository root

jobs:
  validate:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      security-events: write  # upload SARIF to code scanning
    steps:
{setup}      - name: skillsync validate (SARIF)
        # exit 1 means findings: the report is still uploaded; the annotations step fails the job
        run: skillsync validate --format sarif > "$RUNNER_TEMP/skillsync.sarif" || [ $? -eq 1 ]
      - name: Upload to code scanning
        if: always()
        continue-on-error: true  # code scanning needs GitHub Advanced Security on private repositories
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: ${{{{ runner.temp }}}}/skillsync.sarif
          category: skillsync
      - name: skillsync validate (annotations)
        run: skillsync validate --format github

  drift:
    # How each skill stands against Seren: modified/new = this change will push it;
    # remote-ahead/conflict = someone changed Seren outside this repository.
    if: github.event_name == 'pull_request'
    needs: validate
    runs-on: ubuntu-latest
    env:
      SEREN_API_KEY: ${{{{ secrets.SEREN_API_KEY }}}}
    steps:
{setup}      - name: skillsync status
        if: env.SEREN_API_KEY != ''  # secrets are not given to pull requests from forks
        run: skillsync status

  publish:
    if: github.event_name == 'push' && github.ref_name == github.event.repository.default_branch
    needs: validate
    runs-on: ubuntu-latest
    concurrency: skillsync-publish  # one publish at a time, in push order
    env:
      SEREN_API_KEY: ${{{{ secrets.SEREN_API_KEY }}}}
    steps:
      - name: Check the secret
        run: test -n "$SEREN_API_KEY" || {{ echo "::error::set the SEREN_API_KEY secret"; exit 1; }}
        working-directory: .  # before checkout: the workspace folder does not exist yet
{setup}      - name: skillsync push --publish
        run: skillsync push --publish --yes
      - name: skillsync status (drift check)
        # after publishing, Seren must hold exactly this commit's skills
        run: skillsync status --exit-code
"""


def render_github_workflow(workdir: str) -> str:
    """The workflow text; ``workdir`` is the workspace relative to the git top level ("." there)."""
    quoted = workdir if re.fullmatch(r"[A-Za-z0-9._/-]+", workdir) else json.dumps(workdir)
    return _TEMPLATE.format(version=__version__, workdir=quoted, setup=_SETUP)
