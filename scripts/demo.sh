#!/usr/bin/env bash
# The main job: a consenting person is enrolled and verified end to end on
# real models with the embedded SQLite store, then withdraws; the audit chain
# is checked. Uses photos from ../shared/facedata (never copied).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fg="${FACEGATE_BUILD:-$root/build}/facegate"
data="${FACEGATE_FACEDATA:-$root/../shared/facedata}"
export FACEGATE_HOME="${FACEGATE_HOME:-$root/var/demo}"
rm -rf "$FACEGATE_HOME"
a1="$data/lfw/Ai_Sugiyama/Ai_Sugiyama_0001.jpg"
a2="$data/lfw/Ai_Sugiyama/Ai_Sugiyama_0002.jpg"
b1="$(ls "$data"/lfw/Abdoulaye_Wade/*.jpg | head -n 1)"
for f in "$a1" "$a2" "$b1"; do
  [ -f "$f" ] || { echo "demo: missing photo $f (set FACEGATE_FACEDATA to the facedata folder)" >&2; exit 2; }
done
step() { printf '\n\033[1m$ facegate %s\033[0m\n' "$*"; }
run() { step "$*"; "$fg" "$@"; }
try() { step "$*"; set +e; "$fg" "$@"; echo "(exit code $?)"; set -e; }

run purpose add office-entry --scenario verification --retention 365d --alternative staff-card
try notice publish office-entry <(printf 'Purpose: entry\n')          # refused: fields missing (REQ N1)
run notice publish office-entry "$root/examples/notice-office-entry.md"
try enrol S1 office-entry "$a1"                                      # refused: no impact assessment (REQ F1)
# The impact assessment (REQ F1, PIPL 55-56): one person writes it, another approves it.
run assessment create office-entry --author 'Li Wei, facilities' --scope-size 500 \
  --lawfulness 'each person consents separately; a staff card is offered instead (PIPL 13, 29)' \
  --impact 'face templates of staff: sensitive data; risks: a leak, a false match at the door'
run assessment approve 1 --approver 'Zhang Min, DPO'
try enrol S1 office-entry "$a1"                                      # refused: no consent (REQ C1)
run consent give S1 office-entry --notice 1 --option always --method click
run enrol S1 office-entry "$a1" --timings --json
run verify S1 office-entry "$a2"                                     # same person: match
try verify S1 office-entry "$b1"                                     # another person: no match (exit 10)
run consent withdraw S1 office-entry                                 # templates deleted, key destroyed
try verify S1 office-entry "$a2"                                     # refused: withdrawn (REQ C4)
run audit verify
today=$(date -u -d '+8 hours' +%F)                                   # China Standard Time
run report compliance --from "$today" --to "$today" --out "$FACEGATE_HOME/compliance.html"  # REQ F3, docs/reports.md
run audit list --limit 20
echo
echo "demo: done. Data in $FACEGATE_HOME; try '$fg --help'."

# Then serve the demo data over HTTP (docs/api.md) until Ctrl-C.
# FACEGATE_DEMO_NO_SERVE=1 stops here (CI, scripts).
[ "${FACEGATE_DEMO_NO_SERVE:-0}" = 1 ] && exit 0
listen="${FACEGATE_LISTEN:-127.0.0.1:8080}"
key=$("$fg" apikey create --role admin | grep -o 'fgk_[A-Za-z0-9_-]*')
url="http://$listen"
printf '\n\033[1mfacegate API: %s/v1/  (purpose office-entry with its notice; docs/api.md)\033[0m\n' "$url"
echo "admin API key (shown once): $key"
echo "operator console: $url/console/ (sign in with that key); consent kiosk: $url/kiosk/ (docs/ui.md)"
echo "try, in another terminal:"
echo "  curl -s -H 'Authorization: Bearer $key' $url/v1/purposes/office-entry/notice"
echo "  curl -s -H 'Authorization: Bearer $key' -d '{\"subject\":\"S1\",\"purpose\":\"office-entry\",\"notice_id\":1,\"option\":\"always\"}' $url/v1/consents"
echo "  curl -s -H 'Authorization: Bearer $key' -F subject=S1 -F purpose=office-entry -F image=@$a1 $url/v1/enrol"
echo "  curl -s -H 'Authorization: Bearer $key' -F subject=S1 -F purpose=office-entry -F image=@$a2 $url/v1/verify"
exec "$fg" serve --listen "$listen"
