#!/usr/bin/env bash
# Prints the project's cache folder, the same rule as local/cache.ts: $EVENT_PLATFORM_CACHE, else
# $XDG_CACHE_HOME/event-platform, else ~/.cache/event-platform. Source it or run it.
if [[ -n ${EVENT_PLATFORM_CACHE:-} ]]; then
  realpath -m -- "$EVENT_PLATFORM_CACHE"
elif [[ ${XDG_CACHE_HOME:-} == /* ]]; then
  echo "$XDG_CACHE_HOME/event-platform"
else
  echo "$HOME/.cache/event-platform"
fi
