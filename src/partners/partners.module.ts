import { Module } from '@nestjs/common';
import { OperatorBootstrapService } from './operator-bootstrap.service';
import { PartnersResolver } from './partners.resolver';
import { PartnersService } from './partners.service';

@Module({
  providers: [PartnersService, PartnersResolver, OperatorBootstrapService],
  exports: [PartnersService],
})
export class PartnersModule {}
