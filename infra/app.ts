import { App } from 'aws-cdk-lib';
import { deploymentContext, buildFinanceHub, buildRegistries } from './financehub.js';

const app = new App();
if (deploymentContext(app).phase === 'registry') buildRegistries(app);
else buildFinanceHub(app);
app.synth();
