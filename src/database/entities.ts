import { AuditCheckpoint } from '../audit/audit-checkpoint.entity';
import { AuditVerifiedMark } from '../audit/audit-verified-mark.entity';
import { AuditEntry } from '../audit/audit-entry.entity';
import { EventRecord } from '../events/event.entity';
import { Partner } from '../partners/partner.entity';
import { Grant } from '../sharing/grant.entity';
import { ScoreHistory, SubjectScore } from '../scoring/score.entities';
import { RateLimitWindow } from '../ratelimit/rate-limit-window.entity';
import { PartnerKey } from '../partners/partner-key.entity';
import { SsfStream, SsfStreamSubject } from '../delivery/stream.entity';
import { Delivery } from '../delivery/delivery.entity';
import { OAuthClientAssertion } from '../auth/oauth/client-assertion-jti.entity';
import { PushToken } from '../events/inbound/push-token.entity';
import { LegalRequest, LegalRequestHistory } from '../legal/legal-request.entity';

/** Every entity of the app; the migrations must match these exactly (a test checks it). */
export const ENTITIES = [Partner, PartnerKey, AuditEntry, AuditCheckpoint, AuditVerifiedMark, EventRecord, Grant, RateLimitWindow, SubjectScore, ScoreHistory, SsfStream, SsfStreamSubject, Delivery, OAuthClientAssertion, PushToken, LegalRequest, LegalRequestHistory];
