export enum PartnerKind {
  BANK = 'BANK',
  ECOMMERCE = 'ECOMMERCE',
  LEGAL = 'LEGAL',
  INTERNAL_SCORER = 'INTERNAL_SCORER',
  OPERATOR = 'OPERATOR',
}

export enum PartnerStatus {
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
}

export enum KeyStatus {
  ACTIVE = 'ACTIVE',
  REVOKED = 'REVOKED',
}

/** The only signature algorithms of the token profile (section 1). */
export enum SigningAlg {
  EdDSA = 'EdDSA',
  ES256 = 'ES256',
  PS256 = 'PS256',
  /** RSA PKCS#1 v1.5: what standard SSF and CAEP transmitters sign with (profile v1.1). */
  RS256 = 'RS256',
}

export const PARTNER_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;
