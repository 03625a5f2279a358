#!/bin/sh
# Paints a flat grey frame at the job's size, reporting progress step by step.
# Parameters: steps (default 4), stepSeconds (default 0.1), failWith (exit status to fail with).
set -eu
job="${AUTEUR_JOB:-/job/job.json}"
out="${AUTEUR_OUTPUT:-/out}"

number() { sed -n "s/^ *\"$1\": *\([0-9.]*\),\{0,1\}$/\1/p" "$job" | head -n 1; }

width=$(number width)
height=$(number height)
steps=$(number steps)
steps=${steps:-4}
delay=$(number stepSeconds)
delay=${delay:-0.1}
fail=$(number failWith)

echo "painting a ${width}x${height} frame in $steps steps"
i=1
while [ "$i" -le "$steps" ]; do
  sleep "$delay"
  echo "{\"progress\": $(awk "BEGIN { print $i / ($steps + 1) }"), \"step\": \"step $i of $steps\"}"
  echo "finished step $i"
  i=$((i + 1))
done
if [ -n "$fail" ]; then
  echo "cannot paint: asked to fail with status $fail" >&2
  exit "$fail"
fi
{
  printf 'P6\n%d %d\n255\n' "$width" "$height"
  head -c $((width * height * 3)) /dev/zero | tr '\000' '\200'
} >"$out/frame.ppm"
echo '{"metadata": {"painter": "test-frame"}}'
echo "{\"progress\": 1, \"step\": \"painted\"}"
