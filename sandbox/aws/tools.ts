/** The bytes standing for the pinned AVML builds in the sandbox's tools bucket (not executables). */
export const SANDBOX_AVML_BYTES = {
  x86_64: 'forensics-bot sandbox avml 0.14.0 x86_64',
  aarch64: 'forensics-bot sandbox avml 0.14.0 aarch64',
} as const;
