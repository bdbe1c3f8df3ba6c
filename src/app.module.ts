import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { AppExceptionFilter } from './common/app-exception.filter';
import { MercuriusDriver, MercuriusDriverConfig } from '@nestjs/mercurius';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { AuthService } from './auth/auth.service';
import { APP_CONFIG, AppConfig } from './config/config';
import { DatabaseModule } from './database/database.module';
import { GatewayModule } from './gateway/gateway.module';
import { mercuriusErrorFormatter } from './graphql/graphql-errors';
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
          inject: [AuthService],
          useFactory: (auth: AuthService) => ({
          path: '/graphql',
          autoSchemaFile: true, // in memory; `npm run schema` writes schema.graphql
          sortSchema: true,
          graphiql: false,
          jit: 1,
          // Only POST application/json is executed (GET never runs a mutation; see app.factory).
          subscription: {
            // GraphQL over WebSocket at /graphql: connection_init must carry
            // {"authorization": "Bearer <assertion>"}; anything else closes the socket.
            onConnect: async ({ payload }: { payload?: Record<string, unknown> }) => {
              const header = payload?.authorization ?? payload?.Authorization;
              try {
                const partner = await auth.authenticateHeader(typeof header === 'string' ? header : undefined);
                return { partner };
              } catch {
                return false;
              }
            },
          },
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
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }, { provide: APP_FILTER, useClass: AppExceptionFilter }],
      exports: [APP_CONFIG],
    };
  }
}
