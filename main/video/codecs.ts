/** Codec names as info.json files, encoders and containers spell them, mapped to ffprobe's names. */
const CODEC_ALIASES: Record<string, string> = {
  avc: 'h264',
  avc1: 'h264',
  libx264: 'h264',
  x264: 'h264',
  'h.264': 'h264',
  libsvtav1: 'av1',
  'libaom-av1': 'av1',
  libdav1d: 'av1',
  av01: 'av1',
  h265: 'hevc',
  libx265: 'hevc',
  hvc1: 'hevc',
  hev1: 'hevc',
  vp09: 'vp9',
  'libvpx-vp9': 'vp9',
  mp4v: 'mpeg4',
  'mpeg-4': 'mpeg4',
}

export function normalizeCodec(codec: string): string {
  const c = codec.trim().toLowerCase()
  return CODEC_ALIASES[c] ?? c
}

