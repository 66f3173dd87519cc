#!/usr/bin/env bash
# Re-vendor the front-end libraries from the npm registry at pinned versions into
# webapp/static/vendor/. Pages load only these copies, never another site.
set -euo pipefail
cd "$(dirname "$0")/.."

BOOTSTRAP=5.3.9
BOOTSTRAP_ICONS=1.13.2
BPMN_JS=18.31.1

dest=webapp/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

unpack() {  # unpack NAME VERSION -> $work/NAME/package
  local name=$1 version=$2
  mkdir -p "$work/$name"
  (cd "$work/$name" && npm pack --silent "$name@$version" >/dev/null && tar -xzf ./*.tgz)
}

rm -rf "$dest" && mkdir -p "$dest"

unpack bootstrap "$BOOTSTRAP"
mkdir -p "$dest/bootstrap"
cp "$work/bootstrap/package/dist/css/bootstrap.min.css" "$work/bootstrap/package/dist/js/bootstrap.bundle.min.js" \
   "$work/bootstrap/package/LICENSE" "$dest/bootstrap/"

unpack bootstrap-icons "$BOOTSTRAP_ICONS"
mkdir -p "$dest/bootstrap-icons/fonts"
cp "$work/bootstrap-icons/package/font/bootstrap-icons.min.css" "$work/bootstrap-icons/package/LICENSE" "$dest/bootstrap-icons/"
cp "$work/bootstrap-icons/package/font/fonts/"bootstrap-icons.woff* "$dest/bootstrap-icons/fonts/"

unpack bpmn-js "$BPMN_JS"
mkdir -p "$dest/bpmn-js"
cp "$work/bpmn-js/package/dist/bpmn-navigated-viewer.production.min.js" "$work/bpmn-js/package/LICENSE" "$dest/bpmn-js/"
cp "$work/bpmn-js/package/dist/assets/bpmn-js.css" "$work/bpmn-js/package/dist/assets/diagram-js.css" "$dest/bpmn-js/"
# No bpmn-font: it draws the Modeler's palette and context-pad icons; the NavigatedViewer
# draws diagrams as SVG and uses no bpmn-icon class.

cat > "$dest/VERSIONS" <<TXT
bootstrap $BOOTSTRAP
bootstrap-icons $BOOTSTRAP_ICONS
bpmn-js $BPMN_JS
TXT
echo "vendored into $dest:"; cat "$dest/VERSIONS"
