import { Module } from '@nestjs/common';
import { OAuthController } from './oauth.controller';
import { OAuthTokenService } from './token.service';

/** The token endpoint and its metadata. Verifying access tokens is AuthService's (auth.module.ts). */
@Module({
  controllers: [OAuthController],
  providers: [OAuthTokenService],
})
export class OAuthModule {}
