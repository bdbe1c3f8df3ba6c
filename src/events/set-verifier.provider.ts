import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { SetVerifierPool } from './set-verifier-pool';

/** The app's one pool of token verification workers (VERIFY_WORKERS), closed with the app. */
@Injectable()
export class SetVerifierPoolService extends SetVerifierPool implements OnModuleDestroy {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const logger = new Logger('SetVerifierPool');
    super(config.verifyWorkers, (m) => logger.warn(m));
  }

  onModuleDestroy(): Promise<void> {
    return this.close();
  }
}
