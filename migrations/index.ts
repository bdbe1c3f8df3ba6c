// Every migration, in order. Add new ones at the end; never edit one that has landed.
// (A test fails when a file in migrations/ is missing here.)
import { CreatePartners1795670258349 } from './1795670258349-CreatePartners';
import { CreateAuditLog1795671685781 } from './1795671685781-CreateAuditLog';
import { CreateEvents1795673787709 } from './1795673787709-CreateEvents';
import { AddGrants1795674608079 } from './1795674608079-AddGrants';
import { AddRateLimits1795674960215 } from './1795674960215-AddRateLimits';
import { AddScores1795676730343 } from './1795676730343-AddScores';
import { EventJtiIndex1795685836838 } from './1795685836838-EventJtiIndex';
import { AllowRsaPkcsKeys1795984549267 } from './1795984549267-AllowRsaPkcsKeys';
import { AddAuditVerifiedMark1795985780542 } from './1795985780542-AddAuditVerifiedMark';
import { AddEventSubjectTypeIndexes1795986736997 } from './1795986736997-AddEventSubjectTypeIndexes';
import { AddDelivery1795994413744 } from './1795994413744-AddDelivery';
import { AddInboundSsf1795995021577 } from './1795995021577-AddInboundSsf';
import { AddOAuthClientAssertions1795995092938 } from './1795995092938-AddOAuthClientAssertions';
import { AddLegalRequests1796004820877 } from './1796004820877-AddLegalRequests';

export const MIGRATIONS: Function[] = [
  CreatePartners1795670258349,
  CreateAuditLog1795671685781,
  CreateEvents1795673787709,
  AddGrants1795674608079,
  AddRateLimits1795674960215,
  AddScores1795676730343,
  EventJtiIndex1795685836838,
  AllowRsaPkcsKeys1795984549267,
  AddAuditVerifiedMark1795985780542,
  AddEventSubjectTypeIndexes1795986736997,
  AddDelivery1795994413744,
  AddInboundSsf1795995021577,
  AddOAuthClientAssertions1795995092938,
  AddLegalRequests1796004820877,
];
