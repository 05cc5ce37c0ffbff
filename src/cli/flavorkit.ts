#!/usr/bin/env node
// The `flavorkit` command.
import 'reflect-metadata';
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
