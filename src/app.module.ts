import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { AppExceptionFilter } from './common/app-exception.filter';
import { MercuriusDriver, MercuriusDriverConfig } from '@nestjs/mercurius';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { EventsModule } from './events/events.module';
import { SharingModule } from './sharing/sharing.module';
import { APP_CONFIG, AppConfig } from './config/config';
import { DatabaseModule } from './database/database.module';
import { GatewayModule } from './gateway/gateway.module';
import { mercuriusErrorFormatter } from './graphql/graphql-errors';
import { fieldAndAliasLimitRule } from './graphql/limits';
import { PartnersModule } from './partners/partners.module';

@Module({})
export class AppModule {
  /** The whole gateway for one validated configuration (the app, the tests and the smoke test use this). */
  static forRoot(config: AppConfig): DynamicModule {
    const production = config.nodeEnv === 'production';
    return {
      module: AppModule,
      global: true,
      imports: [
        GraphQLModule.forRootAsync<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          useFactory: () => ({
          path: '/graphql',
          autoSchemaFile: true, // in memory; `npm run schema` writes schema.graphql
          sortSchema: true,
          graphiql: false,
          jit: 1,
          validationRules: [fieldAndAliasLimitRule],
          // Only POST application/json is executed (GET never runs a mutation; see app.factory).
          // GraphQL over WebSocket at /graphql. The upgrade request itself must carry
          // `Authorization: Bearer <assertion>` (checked in app.factory's onRequest hook).
          subscription: true,
          errorFormatter: mercuriusErrorFormatter as never,
          // Introspection and field suggestions are for development only.
          ...(production ? { introspection: false } : {}),
          }),
        }),
        DatabaseModule,
        AuthModule,
        GatewayModule,
        AuditModule,
        PartnersModule,
        EventsModule,
        SharingModule,
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }, { provide: APP_FILTER, useClass: AppExceptionFilter }],
      exports: [APP_CONFIG],
    };
  }
}
