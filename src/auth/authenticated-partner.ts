import { PartnerKind } from '../partners/partner.enums';

/** Who is calling: set by authentication, read through @CurrentPartner(). */
export interface AuthenticatedPartner {
  id: string;
  kind: PartnerKind;
  kid: string;
  /** Set only when the request came with an OAuth access token: the scopes it carries (the SSF endpoints check them). */
  scopes?: readonly string[];
  /** Set when the caller used a static push token (only `POST /events` accepts one). */
  pushTokenId?: string;
}
