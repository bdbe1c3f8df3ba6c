import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { AppExceptionFilter } from './common/app-exception.filter';
import { MercuriusDriver, MercuriusDriverConfig } from '@nestjs/mercurius';
import { AuditModule } from './audit/audit.module';
import { AuditService } from './audit/audit.service';
import { AuthModule } from './auth/auth.module';
import { EventsModule } from './events/events.module';
import { EventsHookModule } from './events/events-hook.module';
import { SharingModule } from './sharing/sharing.module';
import { ScoringModule } from './scoring/scoring.module';
import { DeliveryModule } from './delivery/delivery.module';
import { LegalModule } from './legal/legal.module';
import { OAuthModule } from './auth/oauth/oauth.module';
import { APP_CONFIG, AppConfig } from './config/config';
import { DatabaseModule } from './database/database.module';
import { GatewayModule } from './gateway/gateway.module';
import { makeErrorFormatter } from './graphql/graphql-errors';
import { costAndRateLimitHook } from './graphql/cost';
import { SCALARS_MAP } from './graphql/date-time.scalar';
import { inputStringsHook } from './graphql/input-strings.hook';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import { RateLimiterService } from './ratelimit/rate-limiter.service';
import { RateLimitModule } from './ratelimit/rate-limit.module';
import { fieldAndAliasLimitRule } from './graphql/limits';
import { PartnersModule } from './partners/partners.module';
import { AuditSpool } from './resilience/audit-spool';

@Module({})
export class AppModule {
  /** The whole gateway for one validated configuration (the app, the tests and the smoke test use this). */
  static forRoot(config: AppConfig, extraImports: Array<Type | DynamicModule> = []): DynamicModule {
    const production = config.nodeEnv === 'production';
    return {
      module: AppModule,
      global: true,
      imports: [
        GraphQLModule.forRootAsync<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          inject: [RateLimiterService, AuditService],
          useFactory: (limiter: RateLimiterService, audit: AuditService) => ({
          path: '/graphql',
          autoSchemaFile: true, // in memory; `npm run schema` writes schema.graphql
          sortSchema: true,
          graphiql: false,
          jit: 1,
          // Introspection (and with it, schema discovery) is for development only.
          validationRules: production ? [fieldAndAliasLimitRule, NoSchemaIntrospectionCustomRule] : [fieldAndAliasLimitRule],
          // Cost first, so refused input still spends budget; then one check of every String argument.
          hooks: { preExecution: [costAndRateLimitHook(config, limiter), inputStringsHook(audit)] },
          // DateTime is the strict scalar (RFC 3339, years 0001..9999), not Nest's `new Date(anything)`.
          buildSchemaOptions: { scalarsMap: SCALARS_MAP },
          // Only POST application/json is executed (GET never runs a mutation; see app.factory).
          // GraphQL over WebSocket at /graphql. The upgrade request itself must carry
          // `Authorization: Bearer <assertion>` (checked in app.factory's onRequest hook).
          subscription: true,
          errorFormatter: makeErrorFormatter(production) as never,
          }),
        }),
        DatabaseModule,
        RateLimitModule,
        AuthModule,
        GatewayModule,
        AuditModule,
        PartnersModule,
        EventsHookModule,
        EventsModule,
        SharingModule,
        ScoringModule,
        DeliveryModule,
        LegalModule,
        OAuthModule,
        ...extraImports, // tests only: e.g. a probe controller behind the global guard
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }, AuditSpool, { provide: APP_FILTER, useClass: AppExceptionFilter }],
      exports: [APP_CONFIG],
    };
  }
}
