#!/usr/bin/env bash
# Re-extract the translatable strings and merge them into the Indonesian and English catalogs.
# Then fill in the empty msgstr entries of webapp/translations/id/LC_MESSAGES/messages.po.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pybabel extract -F babel.cfg -k _l --no-location -o webapp/translations/messages.pot .
.venv/bin/pybabel update -i webapp/translations/messages.pot -d webapp/translations --no-fuzzy-matching -w 100
.venv/bin/pybabel compile -d webapp/translations
