// The consent kiosk (docs/ui.md).
import { h, mount } from '../common/dom';

mount(document.getElementById('app')!, h('h1', {}, '人脸识别告知与同意'));
