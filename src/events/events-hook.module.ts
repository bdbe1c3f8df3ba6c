import { Global, Module } from '@nestjs/common';
import { EventsStoredHook } from './events-stored.hook';

/** The events-stored hook alone, so reacting modules can register without importing the ingest. */
@Global()
@Module({ providers: [EventsStoredHook], exports: [EventsStoredHook] })
export class EventsHookModule {}
