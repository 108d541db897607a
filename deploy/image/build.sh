#!/bin/sh
# Build the learner and trainer image: the kit's wheel, then the image from the repository's top
# folder. Usage: deploy/image/build.sh [IMAGE_NAME:TAG]   (default coursekit-hub:<kit version>)
set -eu
cd "$(dirname "$0")/../.."

version=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
image="${1:-coursekit-hub:$version}"

# Exactly one wheel, of this checkout: an older one left in the folder would be installed too.
rm -rf build/wheel
python3 -m pip wheel --no-deps --disable-pip-version-check --wheel-dir build/wheel .

DOCKER_BUILDKIT=1 docker build --file deploy/image/Dockerfile --tag "$image" .
echo "built $image; push it to the registry your cluster pulls from and name it in deploy/kubernetes/values.yaml"
