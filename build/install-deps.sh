#!/usr/bin/env bash
# Debian packages the tests use, installed only when absent (OpenSlide's C library for the slide backends; libjpeg-turbo's
# TurboJPEG library, which decodes whole JPEG tiles of TIFF slides directly; GNU time,
# whose /usr/bin/time -f %M gives the bad-input tests each child's peak memory; Chromium, in which the report test
# opens report.html headless; DejaVu fonts, which ScottPlot's plots are drawn in).
set -euo pipefail
need=()
ldconfig -p 2>/dev/null | grep -q 'libopenslide\.so\.0' || need+=(libopenslide0)
ldconfig -p 2>/dev/null | grep -q 'libturbojpeg\.so\.0' || need+=(libturbojpeg0)
[ -x /usr/bin/time ] || need+=(time)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
# A one-node Slurm cluster for the per-slide worker tests (started and stopped by the tests themselves).
{ [ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/slurmd ] && [ -x /usr/bin/sbatch ] && [ -x /usr/sbin/munged ]; } || need+=(slurmctld slurmd slurm-client munge)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing Debian packages: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi
