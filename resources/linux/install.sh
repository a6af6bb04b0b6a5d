#!/bin/sh
# Put GAN Studio (or the Player) in the desktop's menu for this user: run it from the unpacked
# folder: ./_internal/resources/linux/install.sh (see README, "Installers").
set -e
here=$(cd "$(dirname "$0")/../../.." && pwd)  # <app>/_internal/resources/linux -> <app>
app=$(ls "$here" | grep -E '^ganstudio-(studio|player)$' | head -n 1)
[ -n "$app" ] || { echo "run this from an unpacked GAN Studio folder" >&2; exit 1; }
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor"
mkdir -p "$apps"
for size in 16 32 48 64 128 256 512; do
    mkdir -p "$icons/${size}x${size}/apps"
    cp "$here/_internal/resources/icons/ganstudio-$size.png" "$icons/${size}x${size}/apps/ganstudio.png"
done
sed "s|^Exec=[^ ]*|Exec=$here/$app|" "$here/_internal/resources/linux/$app.desktop" > "$apps/$app.desktop"
echo "installed $apps/$app.desktop"
