// The operator console (docs/ui.md).
import { h, mount } from '../common/dom';

mount(document.getElementById('app')!, h('h1', {}, 'facegate console'));
