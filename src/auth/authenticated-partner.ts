import { PartnerKind } from '../partners/partner.enums';

/** Who is calling: set by authentication, read through @CurrentPartner(). */
export interface AuthenticatedPartner {
  id: string;
  kind: PartnerKind;
  kid: string;
  /** Set when the caller used a static push token (only `POST /events` accepts one). */
  pushTokenId?: string;
}
