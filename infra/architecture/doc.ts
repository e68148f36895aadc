/** `npm run docs:architecture`: rewrites the figures and diagrams of docs/architecture.md from config and the synthesized app. */
import { readFileSync, writeFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { figuresTable, renderDiagrams, withDiagrams } from './diagram.js';
import { environmentConfig } from '../config.js';
import { buildFinanceHub } from '../financehub.js';

const PAGE = 'docs/architecture.md';
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
buildFinanceHub(app);
app.synth();
writeFileSync(PAGE, withDiagrams(readFileSync(PAGE, 'utf8'), renderDiagrams(app, 'staging', environmentConfig('staging').prefix, figuresTable(environmentConfig('staging'), environmentConfig('production')))));
console.log(`${PAGE} diagrams written`);
