import { App } from 'aws-cdk-lib';
import { buildFinanceHub } from './financehub.js';

const app = new App();
buildFinanceHub(app);
app.synth();
