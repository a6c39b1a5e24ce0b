# shellcheck shell=bash
# install_with_libs ROOT FILE DEST (sourced by the guest image scripts): FILE, stripped, at DEST
# under ROOT, and every shared library ldd lists for it at the same path under ROOT unless ROOT
# has it already (a bookworm root holds the same library files as this bookworm host).
install_with_libs() {
  local root=$1 file=$2 dest=$3 lib
  mkdir -p "$root/$(dirname "$dest")"
  strip --strip-unneeded -o "$root/$dest" "$file"
  for lib in $(ldd "$file" | grep -oE '/[^ ]+'); do
    if [ ! -e "$root/$lib" ]; then
      mkdir -p "$root/$(dirname "$lib")"
      cp -L "$lib" "$root/$lib"
    fi
  done
}
