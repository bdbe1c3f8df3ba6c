import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { AuditAction, SYSTEM_ACTOR } from '../audit/audit.actions';
import { AuditService } from '../audit/audit.service';
import { APP_CONFIG, AppConfig } from '../config/config';
import { generateEd25519Jwk } from '../gateway/gateway-key';
import { readPrivateJwkFile, writePrivateFile } from '../gateway/gateway-key-file';
import { parseJwks, PublicJwk, validatePublicJwk } from './jwk-policy';
import { Partner } from './partner.entity';
import { PartnerKey } from './partner-key.entity';
import { PartnerKind, PartnerStatus } from './partner.enums';

export const OPERATOR_ID = 'operator';
const BOOTSTRAP_LOCK = 0x52580001; // advisory lock id: one replica bootstraps at a time

/**
 * On first start with an empty database, creates the partner `operator` (kind OPERATOR) with the
 * keys of OPERATOR_JWKS, or with a fresh Ed25519 key pair whose private half goes to
 * DATA_DIR/operator.jwk (mode 0600).
 */
@Injectable()
export class OperatorBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
      if ((await tx.getRepository(Partner).count()) > 0) return;
      const keys = this.config.operatorJwks ? parseJwks(this.config.operatorJwks) : [await this.operatorKeyFromFile()];
      await tx.getRepository(Partner).insert({
        id: OPERATOR_ID,
        name: 'Exchange operator',
        kind: PartnerKind.OPERATOR,
        status: PartnerStatus.ACTIVE,
        trustWeight: 0.5,
      });
      await tx.getRepository(PartnerKey).insert(keys.map((jwk) => ({ partnerId: OPERATOR_ID, kid: jwk.kid, alg: jwk.alg, jwk })));
      await this.audit.append(tx, {
        actor: SYSTEM_ACTOR,
        action: AuditAction.PartnerRegister,
        target: OPERATOR_ID,
        details: { outcome: 'ok', kind: PartnerKind.OPERATOR, kids: keys.map((k) => k.kid), bootstrap: true },
        concerns: [OPERATOR_ID],
      });
      this.logger.log(`created partner "${OPERATOR_ID}" (OPERATOR) with key(s) ${keys.map((k) => k.kid).join(', ')}`);
    });
  }

  /** Reuses DATA_DIR/operator.jwk when it exists, else writes a fresh private key there. */
  private async operatorKeyFromFile(): Promise<PublicJwk> {
    const file = path.join(this.config.dataDir, 'operator.jwk');
    if (fs.existsSync(file)) {
      const parsed = readPrivateJwkFile(file, 'operator key file');
      const { d: _d, ...pub } = parsed;
      this.logger.log(`reusing the operator key in ${file}`);
      return validatePublicJwk(pub);
    }
    const { privateJwk, publicJwk } = await generateEd25519Jwk('operator-1');
    writePrivateFile(file, JSON.stringify(privateJwk, null, 2) + '\n');
    this.logger.log(`operator private key written to ${file} (mode 0600)`);
    // Printed plainly too, so a person starting the gateway sees where the key is.
    process.stdout.write(`Operator private key: ${file}\n`);
    return validatePublicJwk(publicJwk);
  }
}
