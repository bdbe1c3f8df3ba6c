import { PartnerKind } from '../partners/partner.enums';

/** Every permission an operation can require. */
export enum Permission {
  /** Read one's own partner record (`me`). */
  ReadSelf = 'ReadSelf',
  /** Add or revoke one's own keys (rotation). */
  ManageOwnKeys = 'ManageOwnKeys',
  /** Register, suspend and reactivate partners, manage anyone's keys, list partners. */
  ManagePartners = 'ManagePartners',
  /** Read Prometheus metrics (also possible with METRICS_TOKEN). */
  ReadMetrics = 'ReadMetrics',
}

/**
 * The permission table: written once, here, and shown in the README. A partner may call an
 * operation only when its kind holds the operation's permission. Ownership rules (for example
 * "only your own keys") are checked in the services on top of this.
 */
export const PERMISSIONS_BY_KIND: Readonly<Record<PartnerKind, readonly Permission[]>> = {
  [PartnerKind.OPERATOR]: [Permission.ReadSelf, Permission.ManageOwnKeys, Permission.ManagePartners, Permission.ReadMetrics],
  [PartnerKind.BANK]: [Permission.ReadSelf, Permission.ManageOwnKeys],
  [PartnerKind.ECOMMERCE]: [Permission.ReadSelf, Permission.ManageOwnKeys],
  [PartnerKind.INTERNAL_SCORER]: [Permission.ReadSelf, Permission.ManageOwnKeys],
  [PartnerKind.LEGAL]: [Permission.ReadSelf, Permission.ManageOwnKeys],
};

export function kindHas(kind: PartnerKind, permission: Permission): boolean {
  return PERMISSIONS_BY_KIND[kind].includes(permission);
}
