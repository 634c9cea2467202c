#!/usr/bin/env bash
# Installs on a GitHub Ubuntu runner the Debian packages that .ci/run installs, read from .ci/run itself so
# the two lists cannot drift. Ubuntu lacks two of them; the runner image already has equivalents.
set -euo pipefail
cd "$(dirname "$0")/../.."

line=$(grep -E '^packages=\(.*\)$' .ci/run) || {
  echo "install-ci-packages: no one-line packages=(...) in .ci/run" >&2
  exit 1
}
line=${line#packages=(}
line=${line%)}
read -r -a wanted <<<"$line"

install=(redis-tools)
for package in "${wanted[@]}"; do
  case $package in
    # AWS CLI v2 is preinstalled on the runner (Ubuntu 24.04 packages none); linked below.
    awscli) ;;
    # Ubuntu ships chromium only as a snap; the runner's Google Chrome serves the browser tests.
    chromium) ;;
    *) install+=("$package") ;;
  esac
done

sudo apt-get update -q
sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${install[@]}"

# The tests use the Debian paths.
if [[ ! -e /usr/bin/aws ]]; then sudo ln -s "$(command -v aws)" /usr/bin/aws; fi
if [[ ! -e /usr/bin/chromium ]]; then sudo ln -s "$(command -v google-chrome)" /usr/bin/chromium; fi
/usr/bin/aws --version
