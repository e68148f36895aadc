/** `npm run docs:nag`: rewrites docs/nag-acknowledgments.md from the app's acknowledgments. */
import { writeFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { buildFinanceHub } from '../financehub.js';
import { collectAcknowledgments, renderAcknowledgmentsMarkdown } from './report.js';

const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
buildFinanceHub(app);
app.synth();
writeFileSync('docs/nag-acknowledgments.md', renderAcknowledgmentsMarkdown(collectAcknowledgments(app)));
console.log('docs/nag-acknowledgments.md written');
