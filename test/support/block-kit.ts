/**
 * Slack's limits for the messages we post (https://api.slack.com/reference/block-kit/blocks): a message Slack would
 * reject with `invalid_blocks` lists its problems here, each with the path of the offending block.
 */
const LIMITS = {
  messageText: 40_000,
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  id: 255,
} as const;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function checkText(problems: string[], where: string, text: unknown, max: number, type?: 'plain_text' | 'mrkdwn'): void {
  if (!isObject(text)) return void problems.push(`${where}: a text object is required`);
  if (text.type !== 'plain_text' && text.type !== 'mrkdwn') problems.push(`${where}: type must be plain_text or mrkdwn, not ${String(text.type)}`);
  if (type && text.type !== type) problems.push(`${where}: must be ${type}`);
  if (typeof text.text !== 'string' || text.text.trim().length === 0) return void problems.push(`${where}: text must not be empty`);
  if (text.text.length > max) problems.push(`${where}: ${text.text.length} characters, Slack allows ${max}`);
}

function checkBlock(problems: string[], where: string, block: unknown): void {
  if (!isObject(block)) return void problems.push(`${where}: not a block object`);
  if (typeof block.block_id === 'string' && block.block_id.length > LIMITS.id) problems.push(`${where}.block_id: longer than ${LIMITS.id}`);
  switch (block.type) {
    case 'header':
      return checkText(problems, `${where}.text`, block.text, LIMITS.headerText, 'plain_text');
    case 'divider':
      return;
    case 'section': {
      if (block.text === undefined && block.fields === undefined) return void problems.push(`${where}: a section needs text or fields`);
      if (block.text !== undefined) checkText(problems, `${where}.text`, block.text, LIMITS.sectionText);
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length === 0) return void problems.push(`${where}.fields: must be a non-empty list`);
        if (block.fields.length > LIMITS.sectionFields) problems.push(`${where}.fields: ${block.fields.length} fields, Slack allows ${LIMITS.sectionFields}`);
        block.fields.forEach((field, i) => checkText(problems, `${where}.fields[${i}]`, field, LIMITS.fieldText));
      }
      return;
    }
    case 'context': {
      if (!Array.isArray(block.elements) || block.elements.length === 0) return void problems.push(`${where}.elements: must be a non-empty list`);
      if (block.elements.length > LIMITS.contextElements) problems.push(`${where}.elements: ${block.elements.length} elements, Slack allows ${LIMITS.contextElements}`);
      block.elements.forEach((element, i) => checkText(problems, `${where}.elements[${i}]`, element, LIMITS.contextText));
      return;
    }
    case 'actions': {
      if (!Array.isArray(block.elements) || block.elements.length === 0) return void problems.push(`${where}.elements: must be a non-empty list`);
      if (block.elements.length > LIMITS.actionsElements) problems.push(`${where}.elements: ${block.elements.length} elements, Slack allows ${LIMITS.actionsElements}`);
      block.elements.forEach((element, i) => {
        const at = `${where}.elements[${i}]`;
        if (!isObject(element) || element.type !== 'button') return void problems.push(`${at}: only buttons are used in our messages`);
        checkText(problems, `${at}.text`, element.text, LIMITS.buttonText, 'plain_text');
        if (typeof element.action_id !== 'string' || element.action_id.length === 0 || element.action_id.length > LIMITS.id) problems.push(`${at}.action_id: 1 to ${LIMITS.id} characters`);
        if (typeof element.value === 'string' && element.value.length > LIMITS.buttonValue) problems.push(`${at}.value: longer than ${LIMITS.buttonValue}`);
      });
      return;
    }
    default:
      problems.push(`${where}: unknown block type ${String(block.type)}`);
  }
}

function checkBlocks(problems: string[], where: string, blocks: unknown): void {
  if (!Array.isArray(blocks)) return void problems.push(`${where}: must be a list`);
  if (blocks.length === 0) problems.push(`${where}: must not be empty`);
  if (blocks.length > LIMITS.blocks) problems.push(`${where}: ${blocks.length} blocks, Slack allows ${LIMITS.blocks}`);
  blocks.forEach((block, i) => checkBlock(problems, `${where}[${i}]`, block));
}

/** What is wrong with a message (webhook, response_url or chat.postMessage body) by Slack's rules; empty when valid. */
export function blockKitProblems(message: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(message)) return ['the message is not an object'];
  if (typeof message.text !== 'string' || message.text.trim().length === 0) problems.push('text: the fallback text must not be empty');
  else if (message.text.length > LIMITS.messageText) problems.push(`text: ${message.text.length} characters, Slack allows ${LIMITS.messageText}`);
  if (message.blocks !== undefined) checkBlocks(problems, 'blocks', message.blocks);
  if (message.attachments !== undefined) {
    if (!Array.isArray(message.attachments)) problems.push('attachments: must be a list');
    else message.attachments.forEach((attachment, i) => checkBlocks(problems, `attachments[${i}].blocks`, isObject(attachment) ? attachment.blocks : undefined));
  }
  return problems;
}
