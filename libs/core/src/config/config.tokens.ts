/** Injection token of the SluiceConfig object. */
export const SLUICE_CONFIG = Symbol('SLUICE_CONFIG');
