import { registerEnumType } from '@nestjs/graphql';
import { KeyStatus, PartnerKind, PartnerStatus, SigningAlg } from '../partner.enums';

registerEnumType(PartnerKind, { name: 'PartnerKind', description: 'What kind of institution a partner is; permissions follow from it.' });
registerEnumType(PartnerStatus, { name: 'PartnerStatus', description: 'A SUSPENDED partner is refused on every request.' });
registerEnumType(KeyStatus, { name: 'KeyStatus', description: 'A REVOKED key verifies nothing from the moment it is revoked.' });
registerEnumType(SigningAlg, { name: 'SigningAlg', description: 'Signature algorithms of the token profile.' });

